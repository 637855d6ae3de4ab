"""ZIP centroids from the offline `zipcodes` package (nothing is downloaded at run time)."""
import math
from functools import lru_cache

EARTH_RADIUS_MILES = 3958.8


@lru_cache(maxsize=1)
def _centroids() -> dict[str, tuple[float, float]]:
    import zipcodes

    return {z["zip_code"]: (float(z["lat"]), float(z["long"])) for z in zipcodes.list_all() if z["lat"] and z["long"]}


def zip_centroid(zip_code: str) -> tuple[float, float]:
    try:
        return _centroids()[zip_code]
    except KeyError:
        raise ValueError(f"'{zip_code}' is not a known US ZIP code.") from None


def miles_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def zips_within(zip_code: str, miles: float) -> list[str]:
    """Every ZIP whose centroid lies within `miles` of `zip_code`'s centroid (itself included)."""
    centre = zip_centroid(zip_code)
    return sorted(z for z, point in _centroids().items() if miles_between(centre, point) <= miles)
