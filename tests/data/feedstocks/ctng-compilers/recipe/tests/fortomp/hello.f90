program hello
  print *, "Hello World! I can compile FORTRAN."
end program hello
