"""Chinese working days: the holiday calendar with 调休, for every deadline counted in
working days."""
