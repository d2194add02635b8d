import FuzzSupport

runFuzzer { data, size in
    CSVProperties.check(input(data, size))
    return 0
}
