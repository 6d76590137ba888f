"""The risk engine: from the pillars' findings to an OECD step-2 risk assessment.

It reads findings only (never the store or the pillars' inputs), and every judgement it makes is
set in data, not code:

- :mod:`~oresight.risk.catalogue`: the red-flag catalogue (``catalogue.yaml``), what each finding
  code means for due diligence (the OECD Annex II risk it indicates, the regulations it matters
  for, its usual severity) and the step-3 response and mitigation measures it calls for;
- :mod:`~oresight.risk.profiles`: risk profiles (``profiles/``), how one regulation, scheme or
  company weighs the red flags: weights, severity factors, band thresholds, escalations, and the
  parameters handed to the pillars' rules;
- :mod:`~oresight.risk.rules` and :mod:`~oresight.risk.rule_specs`: the composable rules that
  say which findings an escalation applies to, and their YAML form in profiles;
- :mod:`~oresight.risk.scoring`: scores per subject and for the whole supply chain, their risk
  bands, and a recommended response per finding, each score listing what it is made of.
"""
