"""One home for test fakes: in-memory stand-ins for the ports the stages declare,
a settable clock, and the Lambda context a test hands a handler."""
