"""Admin date formats: ISO-like dates and 24-hour times with the zone they are shown in (the ops
zone, leadhub.middleware.OpsTimeZoneMiddleware), so no one reads a UTC time as local."""
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
