import FuzzSupport

runFuzzer { data, size in
    BatchRowProperties.check(input(data, size))
    return 0
}
