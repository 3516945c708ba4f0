"""The compliance gate: the one decision every outbound message passes."""
