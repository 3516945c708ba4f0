"""The outbox: every outbound message is a row first, judged by the gate before it is sent."""
