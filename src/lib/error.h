/* Error codes returned by shoji functions: 0 is success, a negative value
 * one of these. err_str() names them for log lines. */
#ifndef SHOJI_LIB_ERROR_H
#define SHOJI_LIB_ERROR_H

enum {
	E_OK = 0,
	E_INVAL = -1,		/* malformed input (table, option, argument) */
	E_NOMEM = -2,		/* out of hypervisor memory */
	E_NOENT = -3,		/* not found */
	E_TIMEOUT = -4,		/* hardware did not answer before the deadline */
	E_RANGE = -5,		/* value out of the allowed range */
	E_CHECKSUM = -6,	/* checksum mismatch */
	E_UNSUPPORTED = -7,	/* hardware lacks a required feature */
	E_BUSY = -8,		/* resource already in use */
	E_FAULT = -9,		/* hardware reported an error */
};

static inline const char *err_str(int e)
{
	switch (e) {
	case E_OK: return "ok";
	case E_INVAL: return "invalid";
	case E_NOMEM: return "out of memory";
	case E_NOENT: return "not found";
	case E_TIMEOUT: return "timeout";
	case E_RANGE: return "out of range";
	case E_CHECKSUM: return "bad checksum";
	case E_UNSUPPORTED: return "unsupported";
	case E_BUSY: return "busy";
	case E_FAULT: return "hardware error";
	default: return "unknown error";
	}
}

#endif
