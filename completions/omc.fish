complete --keep-order --exclusive --command omc --arguments "(OMC_COMPLETE=fish omc -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
