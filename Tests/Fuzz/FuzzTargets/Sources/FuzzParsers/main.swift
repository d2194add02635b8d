import FuzzSupport

runFuzzer { data, size in
    ParserProperties.check(input(data, size))
    return 0
}
