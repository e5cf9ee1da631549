"""Training and measuring the pose encoder: motion capture (BVH) rendered to 2-D poses from
random cameras (``bvh``, ``mocap``, ``augment``, ``pose_variation``, ``mocap_data``), the
networks and their training (``model``, ``parts``, ``train_v2``, ``real_poses``), and the
evaluation (``mocap_eval``, ``real_eval``, ``calibration``, ``evaluate``, ``ablation``).

Uses torch; imported only by ``posesim-cam train`` / ``eval`` and the benches. May import the
package's numerics and ``targets``; never the CLI, the commands, the session or the HUD.
"""
