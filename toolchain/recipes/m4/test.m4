dnl Macros with arguments, arithmetic, recursion and quoting; three lines of output.
define(`greet', `hello, $1')dnl
define(`join', `ifelse(`$#', `1', `$1', `$1-join(shift($@))')')dnl
greet(`archi')
sum=eval(6 * 7)
join(`a', `b', `c')
