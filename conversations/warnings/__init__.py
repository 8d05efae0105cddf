"""Red warnings and the help that follows them: the group copies and their buttons
(acknowledge, record a measure, close), the texts a warning is shown in, the measure being
recorded, and every copy brought up to the warning's state after a change."""
