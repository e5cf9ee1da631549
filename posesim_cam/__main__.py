"""`python -m posesim_cam` runs the command line."""

from posesim_cam.cli import main

main()
