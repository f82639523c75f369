"""The committed gRPC stubs are exactly what grpcio-tools generates from orders.proto."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "services" / "orders" / "src"
PROTO = "orders/entrypoints/orders.proto"
STUBS = ("orders_pb2.py", "orders_pb2.pyi", "orders_pb2_grpc.py")


def test_the_committed_stubs_match_the_proto(tmp_path: Path) -> None:
    (tmp_path / "orders" / "entrypoints").mkdir(parents=True)
    shutil.copy(SRC / PROTO, tmp_path / PROTO)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", str(tmp_path),
         f"--python_out={tmp_path}", f"--pyi_out={tmp_path}", f"--grpc_python_out={tmp_path}",
         str(tmp_path / PROTO)],
        check=True, capture_output=True)
    for stub in STUBS:
        generated = (tmp_path / "orders" / "entrypoints" / stub).read_text()
        committed = (SRC / "orders" / "entrypoints" / stub).read_text()
        assert generated == committed, (
            f"{stub} is stale: regenerate with `cd services/orders/src && python -m "
            f"grpc_tools.protoc -I . --python_out=. --pyi_out=. --grpc_python_out=. {PROTO}`")
