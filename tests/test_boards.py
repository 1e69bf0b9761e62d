import pytest

from edgeaccel.boards import BOARDS_DIR, board_names, load_board
from edgeaccel.errors import ConfigError


@pytest.mark.parametrize("name", board_names())
def test_every_board_file_loads_and_is_consistent(name):
    board = load_board(name)
    assert board.name == name
    if board.kind == "fpga":
        r = board.fpga.resources
        assert r.lut > 10_000 and r.ff >= r.lut and r.dsp > 0 and r.bram18 > 0
        assert board.fpga.clock_mhz >= 50
    if board.kind == "mcu":
        assert board.mcu.flash_kb >= 256 and board.mcu.ram_kb >= 128 and board.ssh is None
    if board.kind in ("linux", "edgetpu"):
        assert board.ssh is not None and board.ssh.workdir


def test_the_contracted_boards_are_present():
    expected = {"pynq-z2", "zcu102", "zcu104", "ultra96v2", "kv260", "alveo-u50", "nano33ble", "stm32f746g-disco",
                "nucleo-l4r5zi", "esp32s3", "rpi-pico", "rpi4", "coral-devboard", "rpi4-coral-usb"}
    assert expected <= set(board_names())


def test_vendor_figures_for_pynq_z2():
    board = load_board("pynq")
    assert board.name == "pynq-z2" and board.fpga.part == "xc7z020clg400-1"
    assert board.fpga.resources.model_dump() == {"lut": 53200, "ff": 106400, "bram18": 280, "dsp": 220, "uram": 0}


def test_board_files_are_checked(tmp_path, monkeypatch):
    import edgeaccel.boards as boards

    (tmp_path / "bad.yaml").write_text((BOARDS_DIR / "rpi-pico.yaml").read_text().replace("name: rpi-pico", "name: bad").replace("ram_kb: 264", "ram_kb: lots"))
    (tmp_path / "nofpga.yaml").write_text("name: nofpga\nkind: fpga\ndescription: d\nsource: s\n")
    monkeypatch.setattr(boards, "BOARDS_DIR", tmp_path)
    with pytest.raises(ConfigError, match=r"bad.yaml: mcu.ram_kb: expected a valid integer, received 'lots'"):
        load_board("bad")
    with pytest.raises(ConfigError, match="expected a board of kind 'fpga' to have a fpga section"):
        load_board("nofpga")
