"""Block producers: GRANDPA-style finality among several producers (``grandpa``, ``finality``)."""
