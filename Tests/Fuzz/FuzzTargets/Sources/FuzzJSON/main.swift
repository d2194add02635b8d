import FuzzSupport

runFuzzer { data, size in
    JSONProperties.check(data, size)
    return 0
}
