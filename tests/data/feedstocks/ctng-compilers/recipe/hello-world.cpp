#include <iostream>

int main(int argc, char * argv[])
{
    std::cout << "Hello World!\n" << std::endl;
    return 0;
}
