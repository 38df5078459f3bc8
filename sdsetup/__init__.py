"""sdsetup: mirror-aware installer, environment doctor and generation UI for Stable Diffusion.

This package stays light: it never imports torch, diffusers or gradio. What it needs to know
about torch it learns by running the managed environment's Python in a subprocess.
"""

__version__ = "0.1.0"
