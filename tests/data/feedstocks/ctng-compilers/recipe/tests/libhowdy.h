#ifndef _LIBHOWDY_H
#define _LIBHOWDY_H

extern void howdy(void);

#endif
