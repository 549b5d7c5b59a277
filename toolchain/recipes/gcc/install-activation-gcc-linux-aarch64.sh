#!/bin/bash
# gcc_linux-aarch64: activation for the C compiler whose target is linux-aarch64.
exec bash "$RECIPE_DIR/write-activation.sh" gcc aarch64-conda-linux-gnu linux-aarch64
