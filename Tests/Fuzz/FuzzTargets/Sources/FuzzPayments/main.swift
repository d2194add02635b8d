import FuzzSupport

runFuzzer { data, size in
    PaymentProperties.check(input(data, size))
    return 0
}
