"""pytest's settings for the unit tests of the lab's Python tools
(dockerfiles/measure/): those modules import each other by name, as they do
when the lab runs them as scripts, so their folder is on the path."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "dockerfiles", "measure"))
