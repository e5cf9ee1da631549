"""``posesim-cam check-checkpoint``: does a FastPose checkpoint load strictly, and what is it.

Imports the FastPose network (and so torch) only when called.
"""

from __future__ import annotations

from pathlib import Path

from posesim_cam.errors import UserError, install_line, require_module


def check_checkpoint(path: Path) -> str:
    """The line to print for a checkpoint that loads strictly ("COCO-17 FastPose ResNet-50
    checkpoint: 348 tensors, 40,577,745 parameters").

    Raises:
        UserError: no such file, no torch, not a checkpoint, or keys that do not match (the
            missing and unexpected ones named); exit code 2.
    """
    require_module("torch", "alphapose", "`posesim-cam check-checkpoint`")
    from posesim_cam.pose.alphapose import DOWNLOAD_HINT, MISMATCH_REMEDY

    if not path.is_file():
        raise UserError(f"The checkpoint {path} does not exist", DOWNLOAD_HINT)
    try:
        from posesim_cam.pose.fastpose import CheckpointError, load_fastpose
    except ImportError:
        raise UserError(
            "Checking a checkpoint needs torch, which is not installed",
            f"install it with: {install_line('alphapose')}",
        ) from None
    try:
        _, report = load_fastpose(path)
    except CheckpointError as error:
        raise UserError(str(error), MISMATCH_REMEDY) from None
    return (
        f"{report.kind} FastPose ResNet-50 checkpoint: {report.tensors} tensors, "
        f"{report.parameters:,} parameters; loads strictly"
    )
