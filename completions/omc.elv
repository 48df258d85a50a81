
set edit:completion:arg-completer[omc] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) OMC_COMPLETE="elvish" omc -- $@words) | to-lines
}

