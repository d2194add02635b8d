/// How an exact intermediate is rounded to the plan's `scale` digits (SPEC §1).
///
/// Rounding happens only where the specification says `round(...)`, and
/// always with the mode of the loan or plan: there is no ambient mode.
///
/// Worked example, rounding to cents (`scale` 2):
///
/// | exact      | half-up | half-even | down  | up    | floor | ceiling |
/// |------------|---------|-----------|-------|-------|-------|---------|
/// |  2.345     |  2.35   |  2.34     |  2.34 |  2.35 |  2.34 |  2.35   |
/// |  2.355     |  2.36   |  2.36     |  2.35 |  2.36 |  2.35 |  2.36   |
/// | -2.345     | -2.35   | -2.34     | -2.34 | -2.35 | -2.35 | -2.34   |
public enum RoundingMode: String, Sendable, CaseIterable, Hashable {
    /// To nearest; a tie goes away from zero (the default).
    case halfUp = "half-up"
    /// To nearest; a tie goes to the even neighbour (banker's rounding).
    case halfEven = "half-even"
    /// Toward zero (truncation).
    case down
    /// Away from zero.
    case up
    /// Toward negative infinity.
    case floor
    /// Toward positive infinity.
    case ceiling


    /// Whether a truncated quotient `q` (toward zero) with a nonzero remainder
    /// must move one step away from zero. `negative` is the sign of the exact
    /// value, `half` compares twice the remainder's magnitude with the divisor
    /// (-1 below a tie, 0 a tie, 1 above), `qIsOdd` the parity of `q`.
    func bumpsAwayFromZero(negative: Bool, half: Int, qIsOdd: Bool) -> Bool {
        switch self {
        case .down: return false
        case .up: return true
        case .floor: return negative
        case .ceiling: return !negative
        case .halfUp: return half >= 0
        case .halfEven: return half > 0 || (half == 0 && qIsOdd)
        }
    }
}
