"""Work in the field around a visit: calls and messages to the customer, photo evidence,
and the day on a map. Each screen is its own widget; the case screen opens them."""
