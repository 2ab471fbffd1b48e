from rempart.cli.main import run

run()
