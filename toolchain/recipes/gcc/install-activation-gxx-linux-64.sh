#!/bin/bash
# gxx_linux-64: activation for the C++ compiler whose target is linux-64.
exec bash "$RECIPE_DIR/write-activation.sh" gxx x86_64-conda-linux-gnu linux-64
