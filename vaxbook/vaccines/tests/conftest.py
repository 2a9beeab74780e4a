from vaxbook.clinic.tests.fixtures import *  # noqa: F403
