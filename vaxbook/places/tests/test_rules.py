from vaxbook.places.rules import _fold, code_candidates, normalize_code


def test_fold_drops_diacritics_and_d_stroke() -> None:
    assert _fold("Thành phố  Đồng Nai ") == "thanh pho dong nai"
    assert _fold("ĐẮK LẮK") == "dak lak"
    assert _fold("DONG NAI") == "dong nai"
    assert _fold("Xã Đạ M'ri") == "xa da m'ri"
    assert _fold(None) == ""


def test_fold_handles_decomposed_input() -> None:
    decomposed = "Ho\u0300a"  # "Hòa" typed with a combining grave accent
    assert _fold(decomposed) == "hoa"


def test_code_candidates_pad_to_each_width() -> None:
    assert code_candidates("4") == {"4", "04", "004", "00004"}
    assert code_candidates("75") == {"75", "075", "00075"}
    assert code_candidates("dong nai") == set()
    assert code_candidates("123456") == set()


def test_normalize_code_pads_by_level() -> None:
    assert normalize_code(1, level="province") == "01"
    assert normalize_code("4", level="ward") == "00004"
    assert normalize_code("731", level="legacy_district") == "731"
