"""The priority groups of Resolution 21/NQ-CP (26 February 2021) on Covid-19 vaccination, and how a
group is named on a page.

Codes are the group numbers of the resolution; the last row ("12") is this project's catch-all for
everyone the resolution did not list, so that a record can be complete for any adult.
"""

from typing import TYPE_CHECKING

from django.utils.translation import get_language

if TYPE_CHECKING:
    from vaxbook.registry.models import PriorityGroup

NQ21_GROUPS: list[tuple[str, str, str]] = [
    (
        "1",
        "Lực lượng tuyến đầu phòng, chống dịch (cơ sở y tế, phòng chống dịch, điều tra dịch tễ, ban chỉ đạo)",
        "Front-line anti-epidemic workers (health facilities, epidemic control, steering committees)",
    ),
    ("2", "Nhân viên, cán bộ ngoại giao, hải quan, xuất nhập cảnh", "Diplomatic, customs and immigration staff"),
    (
        "3",
        "Người cung cấp dịch vụ thiết yếu: hàng không, vận tải, du lịch; điện, nước",
        "Providers of essential services: aviation, transport, tourism, electricity, water",
    ),
    (
        "4",
        "Giáo viên, người làm việc, học sinh, sinh viên tại cơ sở giáo dục; người làm việc tại cơ quan hành chính "
        "thường xuyên tiếp xúc với nhiều người",
        "Teachers, staff and students of schools; public-service staff in frequent contact with people",
    ),
    ("5", "Người mắc các bệnh mạn tính; người trên 65 tuổi", "People with chronic diseases; people over 65"),
    ("6", "Người sinh sống tại các vùng có dịch", "People living in outbreak areas"),
    ("7", "Người nghèo, các đối tượng chính sách xã hội", "The poor and social-policy beneficiaries"),
    (
        "8",
        "Người được cơ quan nhà nước cử đi công tác, học tập, lao động ở nước ngoài hoặc có nhu cầu xuất cảnh",
        "People sent abroad by the State for work or study, or needing to travel abroad",
    ),
    (
        "9",
        "Người lao động, thân nhân người lao động tại doanh nghiệp",
        "Workers of enterprises and their relatives",
    ),
    ("10", "Chức sắc, chức việc các tôn giáo", "Religious dignitaries and officials"),
    ("11", "Người lao động tự do", "Self-employed workers"),
    # The project's catch-all (see the docstring): the names are what a person reads, so they say
    # only who is in the group.
    ("12", "Người dân khác từ 18 tuổi trở lên", "Other adults (18 and over)"),
]


def priority_group_name(group: "PriorityGroup") -> str:
    """The group's name in the active language: the English name on English pages where there is
    one, else the Vietnamese name (the official one)."""
    english = (get_language() or "").startswith("en")
    return group.name_en if english and group.name_en else group.name


def priority_group_label(group: "PriorityGroup | None") -> str:
    """The group's number and its name in the active language ("9. Workers of enterprises …"), as
    every page and select shows it; empty for no group."""
    if group is None:
        return ""
    return f"{group.code}. {priority_group_name(group)}"
