if [ "${PYTHON_JIT+x}" ] ; then
  export PYTHON_JIT_CONDA_BACKUP="${PYTHON_JIT}"
fi
export PYTHON_JIT=1
