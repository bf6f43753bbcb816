"""PN532 frame building and stream parsing against the hardware.md §1.1 / §7 byte vectors."""

from drivers.rfid import pn532_frame as pf


def h(text):
    return bytes.fromhex(text)


def parse_all(data, chunk=None):
    p = pf.FrameParser()
    items = []
    step = chunk or len(data) or 1
    for i in range(0, len(data), step):
        p.feed(data[i:i + step])
        while True:
            item = p.next()
            if item is None:
                break
            items.append(item)
    return items, p


def test_command_frame_vectors():
    assert pf.build_frame(h("D402")) == h("00 00 FF 02 FE D4 02 2A 00")
    assert pf.command_frame(pf.GET_FIRMWARE_VERSION) == h("00 00 FF 02 FE D4 02 2A 00")
    assert pf.command_frame(pf.SAM_CONFIGURATION, h("01 14 01")) == h("00 00 FF 05 FB D4 14 01 14 01 02 00")
    assert pf.command_frame(pf.SAM_CONFIGURATION, h("01 00 01")) == h("00 00 FF 05 FB D4 14 01 00 01 16 00")
    assert pf.command_frame(pf.RF_CONFIGURATION, h("05 FF 01 10")) == h("00 00 FF 06 FA D4 32 05 FF 01 10 E5 00")
    assert pf.command_frame(pf.IN_LIST_PASSIVE_TARGET, h("01 00")) == h("00 00 FF 04 FC D4 4A 01 00 E1 00")
    assert pf.command_frame(pf.IN_RELEASE, h("00")) == h("00 00 FF 03 FD D4 52 00 DA 00")


def test_response_frame_vectors():
    assert pf.response_frame(0x02, h("32 01 06 07")) == h("00 00 FF 06 FA D5 03 32 01 06 07 E8 00")
    assert pf.response_frame(0x14) == h("00 00 FF 02 FE D5 15 16 00")
    assert pf.response_frame(0x4A, h("01 01 00 04 08 04 DE AD BE EF")) == \
        h("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 DE AD BE EF 96 00")
    assert pf.response_frame(0x4A, h("00")) == h("00 00 FF 03 FD D5 4B 00 E0 00")


def test_ack_nack_error_and_wakeup_constants():
    assert pf.ACK_FRAME == h("00 00 FF 00 FF 00")
    assert pf.NACK_FRAME == h("00 00 FF FF 00 00")
    assert pf.ERROR_FRAME == h("00 00 FF 01 FF 7F 81 00")
    assert pf.WAKEUP == b"\x55\x55" + b"\x00" * 15
    items, _ = parse_all(pf.ACK_FRAME + pf.NACK_FRAME + pf.ERROR_FRAME)
    assert [i[0] for i in items] == [pf.ACK, pf.NACK, pf.ERROR]


def test_parse_firmware_vector():
    items, _ = parse_all(h("00 00 FF 06 FA D5 03 32 01 06 07 E8 00"))
    kind, tfi, data = items[0]
    assert (kind, tfi, data[0]) == (pf.DATA, pf.TFI_PN532, 0x03)
    assert pf.parse_firmware(data[1:]) == {"ic": 0x32, "ver": 1, "rev": 6, "support": 7}


def test_parse_target_vectors_including_extra_leading_zero():
    items, _ = parse_all(h("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 DE AD BE EF 96 00"))
    t = pf.parse_passive_target(items[0][2][1:])
    assert t["uid"] == h("DEADBEEF") and t["sel_res"] == 0x08 and t["sens_res"] == 0x0004
    items, _ = parse_all(h("00 00 00 FF 0F F1 D5 4B 01 01 00 44 00 07 04 A2 24 B2 C2 5C 80 79 00"))
    t = pf.parse_passive_target(items[0][2][1:])
    assert t["uid"] == h("04A224B2C25C80") and t["sens_res"] == 0x0044
    items, _ = parse_all(h("00 00 FF 03 FD D5 4B 00 E0 00"))
    assert pf.parse_passive_target(items[0][2][1:]) is None


def test_byte_by_byte_feeding_gives_the_same_frames():
    stream = pf.ACK_FRAME + h("00 00 FF 06 FA D5 03 32 01 06 07 E8 00")
    items, _ = parse_all(stream, chunk=1)
    assert [i[0] for i in items] == [pf.ACK, pf.DATA]


def test_resync_after_garbage_and_bad_lcs():
    good = h("00 00 FF 02 FE D5 15 16 00")
    garbage = h("13 37 FF 00 FF 05 00 FF 07 07")    # two false start codes, both with a bad LCS
    items, p = parse_all(garbage + good)
    assert items == [(pf.DATA, pf.TFI_PN532, h("15"))]
    assert p.skipped > 0 and p.bad_frames == 2


def test_bad_dcs_is_reported_and_stream_continues():
    bad = h("00 00 FF 02 FE D5 15 17 00")
    good = h("00 00 FF 02 FE D5 15 16 00")
    items, p = parse_all(bad + good)
    assert items[0] == (pf.BAD, None, b"DCS") and items[1][0] == pf.DATA
    assert p.bad_frames == 1


def test_extended_frame_roundtrip():
    data = bytes([0xD5, 0x41]) + bytes(range(256)) * 1
    frame = pf.build_frame(data)
    assert frame[:5] == h("00 00 FF FF FF") and frame[5:7] == bytes([1, 2])
    items, _ = parse_all(frame)
    assert items == [(pf.DATA, 0xD5, data[1:])]


def test_incomplete_frame_waits_for_more():
    p = pf.FrameParser()
    p.feed(h("00 00 FF 06 FA D5 03"))
    assert p.next() is None
    p.feed(h("32 01 06 07 E8 00"))
    assert p.next()[0] == pf.DATA
