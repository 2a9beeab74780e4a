from vaxbook.places.rules import (
    NamedUnit,
    PlaceNames,
    _fold,
    code_and_name,
    code_candidates,
    normalize_code,
    place_key,
)


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


def test_place_key_leaves_out_the_kind_and_punctuation() -> None:
    assert place_key("Phường Trấn Biên") == ("trấn biên", "tran bien")
    assert place_key("P. Trấn Biên") == place_key("p.trấn biên") == ("trấn biên", "tran bien")
    assert place_key("TP.HCM") == ("hcm", "hcm")
    assert place_key("Thị trấn Tân Phú")[1] == place_key("TT Tân Phú")[1] == "tan phu"
    assert place_key("Xã Đạ M'ri") == ("đạ m ri", "da m ri")
    assert place_key("Phường") == ("phường", "phuong")  # a kind alone is kept: no name is empty


def _names() -> PlaceNames:
    provinces = [NamedUnit("75", "Thành phố Đồng Nai"), NamedUnit("79", "Thành phố Hồ Chí Minh")]
    wards = [
        NamedUnit("25280", "Xã Lộc Thạnh", "75"),
        NamedUnit("25294", "Xã Lộc Thành", "75"),
        NamedUnit("26041", "Phường Trấn Biên", "75"),
        NamedUnit("26116", "Xã Tân Phú", "75"),
        NamedUnit("26188", "Phường Tân Triều", "75"),
        NamedUnit("26200", "Phường Tam Hiệp", "75"),
        NamedUnit("26210", "Phường Văn Miếu - Quốc Tử Giám", "75"),  # a name with a dash
        NamedUnit("27031", "Phường Tân Phú", "79"),
    ]
    legacy_provinces = [("70", "Tỉnh Bình Phước", ["75"]), ("75", "Tỉnh Đồng Nai", ["75"])]
    legacy_wards = [
        ("Phường Tân Phong", "731", ["26188"]),  # Biên Hòa's, merged into Tân Triều
        ("Xã Tân Phong", "705", ["99999"]),  # elsewhere (a unit this table lacks)
        ("Phường Tân Mai", "731", ["26041"]),
        ("Xã Tân Mai", "732", ["26116"]),  # two namesakes in the province, two wards now
        ("Phường Tam Hiệp", "731", ["26200"]),  # became its 2025 namesake
        ("Phường Tân Phú", "731", ["26188"]),  # a 2025 commune's name, but a ward's before, which became another
        ("Xã Lộc Thạnh", "732", ["26041"]),  # a 2025 commune's name, whose namesake before 2025 became another
        ("Phường 1", "770", ["27031"]),  # Hồ Chí Minh City's numbered wards, one per district
        ("Phường 1", "771", ["26999"]),  # (a unit this table lacks)
        ("Phường Tân Tiến", "731", ["26200", "26041"], "26200"),  # split; Tam Hiệp took its code
        ("Phường Tam Hòa", "731", ["26200"], "26041"),  # merged whole, into another code's ward
    ]
    legacy_districts = [("731", "Thành phố Biên Hòa"), ("732", "Huyện Xuân Lộc"), ("770", "Quận 1"), ("771", "Quận 3")]
    return PlaceNames(provinces, wards, legacy_provinces, legacy_wards, legacy_districts)


def test_a_province_is_found_by_its_name_its_nickname_or_its_name_before_2025() -> None:
    names = _names()
    for text in ("Đồng Nai", "Thành phố Đồng Nai", "TP. Đồng Nai", "dong nai", "Bình Phước", "Tỉnh Đồng Nai"):
        assert [p.code for p in names.provinces(text)] == ["75"], text
    for text in ("TP.HCM", "TPHCM", "tp hcm", "HCMC", "Sài Gòn", "Saigon"):
        assert [p.code for p in names.provinces(text)] == ["79"], text
    assert names.provinces("Đồng Nại Xa") == ()
    assert [names.province_codes(code) for code in ("70", "75", "99")] == [("75",), ("75",), ()]


def test_a_ward_is_found_by_its_name_in_the_provinces_given_only() -> None:
    names = _names()
    assert [w.code for w in names.wards("P. Trấn Biên", ["75"])] == ["26041"]
    assert [w.code for w in names.wards("tran bien", ["75"])] == ["26041"]
    assert names.wards("Phường Trấn Biên", ["79"]) == ()  # not in that province
    assert [w.code for w in names.wards("Tân Phú", ["79"])] == ["27031"]
    assert [w.code for w in names.wards("Phường Tam Hiệp", ["75"])] == ["26200"]  # the same ward before and now
    # diacritics first: "Lộc Thành" is one commune; "Loc Thanh", without them, may be either
    assert [w.code for w in names.wards("Xã Lộc Thành", ["75"])] == ["25294"]
    assert [w.code for w in names.wards("loc thanh", ["75"])] == ["25280", "25294", "26041"]


def test_a_name_is_also_what_its_namesakes_before_2025_became() -> None:
    names = _names()
    assert [w.code for w in names.wards("Phường Tân Phong", ["75"])] == ["26188"]
    assert [w.code for w in names.wards("tan phong", ["75"])] == ["26188"]
    assert [w.code for w in names.wards("Tân Mai", ["75"])] == ["26041", "26116"]  # two namesakes: either
    assert names.wards("Tân Phong", ["79"]) == ()
    # a 2025 commune's name that a ward became another had before: either, but the kind the list says tells
    assert [w.code for w in names.wards("Xã Lộc Thạnh", ["75"])] == ["25280", "26041"]
    assert [w.code for w in names.wards("Tân Phú", ["75"])] == ["26116", "26188"]
    assert [w.code for w in names.wards("Xã Tân Phú", ["75"])] == ["26116"]
    assert [w.code for w in names.wards("P. Tân Phú", ["75"])] == ["26188"]


def test_a_district_before_2025_tells_which_of_its_namesakes_a_ward_was() -> None:
    names = _names()
    assert [w.code for w in names.wards("Tân Mai", ["75"], "TP Biên Hòa")] == ["26041"]
    assert [w.code for w in names.wards("Tân Mai", ["75"], "H. Xuân Lộc")] == ["26116"]
    assert [w.code for w in names.wards("Xã Lộc Thạnh", ["75"], "Xuân Lộc")] == ["26041"]
    assert [w.code for w in names.wards("P1", ["79"], "Q.1")] == ["27031"]
    assert [w.code for w in names.wards("Phường 1", ["79"], "Q1")] == ["27031"]
    # a 2025 name beside a district the list kept: the district has no ward of that name, the name is read
    assert [w.code for w in names.wards("Phường Trấn Biên", ["75"], "Thành phố Biên Hòa")] == ["26041"]
    assert [w.code for w in names.wards("Tân Mai", ["75"], "Quận 9")] == ["26041", "26116"]


def test_an_address_names_its_ward_when_a_part_says_its_kind_in_a_known_province() -> None:
    names = _names()
    ward = names.address_ward
    assert ward("Khu phố 3, P. Trấn Biên, Đồng Nai").code == "26041"  # type: ignore[union-attr]
    assert ward("12 Lê Lợi; Phường Tam Hiệp; Tỉnh Đồng Nai; Việt Nam").code == "26200"  # type: ignore[union-attr]
    assert ward("Ấp 3 - Xã Lộc Thành - Đồng Nai").code == "25294"  # type: ignore[union-attr]
    # dashes part an address only where nothing else does: names have them
    assert ward("Số 5, Phường Văn Miếu - Quốc Tử Giám, Đồng Nai").code == "26210"  # type: ignore[union-attr]
    assert ward("9 Hà Huy Giáp, Phường Trấn Biên", ["75"]).code == "26041"  # type: ignore[union-attr]
    # before 2025, with its district: the namesake of that district, what it became
    assert ward("5 Võ Thị Sáu, P. Tân Mai, TP Biên Hòa, Đồng Nai").code == "26041"  # type: ignore[union-attr]
    assert ward("Ấp 1, Xã Tân Mai, H. Xuân Lộc, Đồng Nai").code == "26116"  # type: ignore[union-attr]
    assert ward("12 Lê Lợi, Phường 1, Q.1, TP.HCM").code == "27031"  # type: ignore[union-attr]
    # with the part that names it, for a message
    found = names.address_ward_part("5 Võ Thị Sáu, P. Tân Mai, TP Biên Hòa, Đồng Nai")
    assert found is not None and (found[0].code, found[1]) == ("26041", "P. Tân Mai")
    # no guess: no province, a name without its kind, several namesakes, a ward of another province
    assert ward("Khu phố 3, P. Trấn Biên") is None
    assert ward("Khu phố 3, Trấn Biên, Đồng Nai") is None  # a street or a hamlet may be named so
    assert ward("Ấp 2, Xã Lộc Thạnh, Đồng Nai") is None  # the 2025 commune, or what its namesake became
    assert ward("Khu phố 3, Phường Trấn Biên, TP.HCM") is None
    assert ward("Khu phố 3, Phường Trấn Biên, Đồng Nai", ["79"]) is None  # the row's province is another
    assert ward("Khu phố 3, Phường Tam Hiệp, TP.HCM", ["75"]) is None  # an address of another province
    assert ward("Phường Trấn Biên, Phường Tam Hiệp, Đồng Nai") is None  # two wards: which?
    assert ward("") is None and ward(None) is None and ward("Đồng Nai") is None


def test_a_code_written_with_its_name_in_one_cell_is_split() -> None:
    assert code_and_name("26041 - Phường Trấn Biên", "ward") == ("26041", "Phường Trấn Biên")
    assert code_and_name("26041 Phường Trấn Biên", "ward") == ("26041", "Phường Trấn Biên")
    assert code_and_name("26041: P. Trấn Biên", "ward") == ("26041", "P. Trấn Biên")
    assert code_and_name("Phường Trấn Biên (26041)", "ward") == ("26041", "Phường Trấn Biên")
    assert code_and_name("75 - Đồng Nai", "province") == ("75", "Đồng Nai")
    assert code_and_name("Đồng Nai [75]", "province") == ("75", "Đồng Nai")
    # a name alone, or a number of another width, is no code
    for text, level in (("Phường 1", "ward"), ("12 Lê Lợi", "ward"), ("Trấn Biên", "ward"), ("7 - HN", "province")):
        assert code_and_name(text, level) is None, text


def test_an_address_names_its_district_before_2025() -> None:
    district = _names().address_district
    assert district("12 Lê Lợi, TP Biên Hòa, Đồng Nai") == "TP Biên Hòa"
    assert district("Ấp 2 - H. Xuân Lộc - Đồng Nai") == "H. Xuân Lộc"
    assert district("12 Lê Lợi, Phường 1, Q.3, TP.HCM") == "Q.3"
    assert district("12 Lê Lợi, TP.HCM") is None  # the province is no district
    assert district("12 Lê Lợi, TP Biên Hòa") == "TP Biên Hòa"  # the last part, when it is no province
    assert district("12 Lê Lợi, Phường Trấn Biên, Đồng Nai") is None
    assert district(None) is None


def test_a_split_wards_code_with_its_name_before_2025_is_the_split_ward() -> None:
    names = _names()
    split = ("26041", "26200")
    assert tuple(u.code for u in names.split_ward("26200", "Phường Tân Tiến")) == split
    assert tuple(u.code for u in names.split_ward("26200", "P. Tan Tien")) == split
    assert names.split_ward("26200", "Phường Tam Hiệp") == ()  # the name of the code's ward now
    assert names.split_ward("26200", "Phuong Tam Hiep") == ()  # (typed without its marks)
    assert names.split_ward("26041", "Phường Tân Tiến") == ()  # not the split ward's code
    assert names.split_ward("26041", "Phường Tam Hòa") == ()  # merged whole
    assert names.split_ward("99999", "Phường Tân Tiến") == ()
