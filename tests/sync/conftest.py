import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
