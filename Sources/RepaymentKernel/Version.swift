/// The kernel's version, "MAJOR.MINOR.PATCH": the one definition that `repay --version` and the C API's
/// `rk_version()` / `rk_version_number()` print (repaykernel.h's `RK_VERSION` is checked against it by the tests).
public let version = "1.1.0"
