"""A runnable example of the Python API (also shown in the README).

    python examples/api_example.py
"""

from partybuild_rules import (
    Allowance,
    bundled_dataset,
    bundled_pack,
    evaluate,
    explain,
    load_dataset,
    load_pack,
)

# Load the Tongjiang pack, raising the local minimum income for this deployment only.
pack = load_pack(bundled_pack(), overrides={"minimum_income": "1300.00"})
data = load_dataset(bundled_dataset())
result = evaluate(pack, data, 2024)

# Every outcome says which rule fired, on which facts, with which parameters.
for outcome in result.of_rule("R2.member-absence")[:3]:
    print(outcome.subject_name, outcome.period, [m.measure for m in outcome.measures])
    print("   because:", outcome.provenance.source)

wages = sum(o.amount for o in result.of_rule("A1.committee-wage") if isinstance(o, Allowance))
print("居委会委员工资合计 committee wages:", wages)

first_interview = result.of_rule("R1.unit-interview")[0]
print(explain(result, first_interview.subject))
