from labfinance.cli import main

main()
