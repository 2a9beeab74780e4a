"""The portal's date formats per language (FORMAT_MODULE_PATH), before Django's own."""
