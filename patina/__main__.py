from patina.cli import main

main()
