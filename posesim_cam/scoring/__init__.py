"""Scoring: how well an attempt follows a target, offline (``offline.compare``) and live
(``online.LiveScorer``), over the same rules (``rules``), alignment (``align``), temporal
smoothing (``temporal``), limb errors (``limbs``) and outcome types (``outcome``).

Pure numerics: may import the skeleton, features, encoder, pose types and sequences; never
video, capture, outputs, the HUD, the session or the commands.
"""
