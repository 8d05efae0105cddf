"""One plan per household (一户一策): /plan shows a household's risks, whether a delivered
measure covers each, its measures and its last visits, privately; the same plan as an XLSX
laid out for one A4 sheet, from the chat and from `fangfanpin plan`."""
