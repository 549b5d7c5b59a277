import greet

def main():
    greet.greet('World')

if __name__ == "__main__":
    main()
