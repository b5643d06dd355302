"""`python -m crhq_app` runs the same command as `crhq-app`."""

from crhq_app.manage import main

main()
