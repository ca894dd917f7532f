"""One module per paper; each defines ``STUDIES`` (see :mod:`wattlab.study`)."""
