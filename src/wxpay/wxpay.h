/* WeChat Pay client.  Filled by its own change. */
#ifndef LD_WXPAY_H
#define LD_WXPAY_H
#endif
