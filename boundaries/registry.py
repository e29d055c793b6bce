"""The dataset registry: one entry per source file, and the regions built from them.

Loading, validation, downloading and the ``status`` command are all driven by
these entries, not by code per file.  Adding a region (or all of England) is a
new :class:`Region` value, not new code.
"""

from __future__ import annotations

import re
from dataclasses import InitVar, dataclass, field
from types import MappingProxyType
from typing import Mapping

from .pins import Pin, pin_for

__all__ = ["Dataset", "Join", "Region", "REGISTRY", "REGIONS", "get_dataset", "get_region"]

OGL = "Open Government Licence v3.0"
ONS_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government "
    "Licence v3.0. Contains OS data © Crown copyright and database right 2011–2022."
)
PHE_ATTRIBUTION = (
    "Contains public sector information from Public Health England / OHID (NHS Acute "
    "Trust Catchment Populations) and NHS Digital (ODS), licensed under the Open "
    "Government Licence v3.0."
)
IMD_ATTRIBUTION = (
    "Contains public sector information from the English Indices of Deprivation 2019 (Ministry of "
    "Housing, Communities and Local Government), licensed under the Open Government Licence v3.0."
)


@dataclass(frozen=True)
class Dataset:
    """One source file.

    Parameters
    ----------
    id : str
        Registry id, used on the command line.
    description : str
        What the file holds.
    publisher : str
        Official publisher of the underlying data.
    licence : str
        Licence of the data.
    year : int
        Reference year of the data.
    path : str
        File path relative to the data directory (the mirror's layout).  Its
        row in ``boundaries/pins.tsv`` (see :mod:`boundaries.pins`) gives the
        pinned download address and the SHA-256 hashes (:attr:`pin`).
    records : int
        Expected number of records.
    code_column : str
        Column holding the area (or trust) code.
    code_pattern : str
        Regular expression every code must match.
    layer : str, optional
        Layer name inside a GeoPackage.
    kind : {"vector", "csv", "table"}
        How the file is read (``"table"``: attributes of a dBase/GIS file, no geometry).
    crs : int, optional
        EPSG code the file is expected to be in (vector files only).
    attribution : str
        Attribution line the licence asks for.
    homepage : str
        The official publisher's page: documentation only, never downloaded
        (downloads use :attr:`download_url`).
    url : str, optional
        Former name of ``homepage``, still accepted.
    """

    id: str
    description: str
    publisher: str
    licence: str
    year: int
    path: str
    records: int
    code_column: str
    code_pattern: str
    layer: str | None = None
    kind: str = "vector"
    crs: int | None = None
    unique_codes: bool = True
    attribution: str = ONS_ATTRIBUTION
    homepage: str = ""
    url: InitVar[str | None] = None

    def __post_init__(self, url: str | None) -> None:
        if url and not self.homepage:
            object.__setattr__(self, "homepage", url)

    @property
    def pin(self) -> Pin | None:
        """Pinned address and hashes of :attr:`path` (None when ``pins.tsv`` has no row for it)."""
        return pin_for(self.path)

    @property
    def download_url(self) -> str | None:
        """The pinned address of the source file (None for files built from several sources)."""
        return self.pin.url if self.pin is not None else None

    @property
    def code_regex(self) -> re.Pattern[str]:
        """Compiled :attr:`code_pattern`."""
        return re.compile(self.code_pattern)


LONDON_GPKG = "london/london_2011_geographies.gpkg"
NHS_GPKG = "nhs/boundaries/london_ccg18_stp18_from_lsoa11.gpkg"

_DATASETS = [
    Dataset(
        id="london_lsoa",
        description="London LSOA 2011 boundaries (20 m generalised) with census 2011 and mid-2017/2019/2020 population",
        publisher="ONS (boundaries, population estimates); GLA London Datastore (census attributes)",
        licence=OGL, year=2011,
        homepage="https://geoportal.statistics.gov.uk/search?q=LSOA%202011%20boundaries",
        path=LONDON_GPKG, layer="lsoa11", records=4835,
        code_column="LSOA11CD", code_pattern=r"^E01\d{6}$", crs=27700,
    ),
    Dataset(
        id="london_msoa",
        description="London MSOA 2011 boundaries (dissolved from the LSOAs)",
        publisher="ONS", licence=OGL, year=2011,
        homepage="https://geoportal.statistics.gov.uk/search?q=MSOA%202011%20boundaries",
        path=LONDON_GPKG, layer="msoa11", records=983,
        code_column="MSOA11CD", code_pattern=r"^E02\d{6}$", crs=27700,
    ),
    Dataset(
        id="london_borough_gla",
        description="London borough boundaries as published by the GLA (excluding the Thames foreshore)",
        publisher="GLA London Datastore (Statistical GIS Boundary Files for London)",
        licence=OGL, year=2011,
        homepage="https://data.london.gov.uk/dataset/statistical-gis-boundary-files-london",
        path=LONDON_GPKG, layer="borough_gla", records=33,
        code_column="GSS_CODE", code_pattern=r"^E09\d{6}$", crs=27700,
    ),
    Dataset(
        id="london_ccg18",
        description="London CCG boundaries, April 2018 (built from LSOAs and the ONS lookup)",
        publisher="ONS Open Geography Portal", licence=OGL, year=2018,
        homepage="https://geoportal.statistics.gov.uk/search?q=Clinical%20Commissioning%20Groups%20April%202018",
        path=NHS_GPKG, layer="ccg18", records=32,
        code_column="CCG18CD", code_pattern=r"^E38\d{6}$", crs=27700,
    ),
    Dataset(
        id="london_stp18",
        description="London STP boundaries, April 2018 (built from LSOAs and the ONS lookup)",
        publisher="ONS Open Geography Portal", licence=OGL, year=2018,
        homepage="https://geoportal.statistics.gov.uk/search?q=Sustainability%20and%20Transformation%20Partnerships%20April%202018",
        path=NHS_GPKG, layer="stp18", records=5,
        code_column="STP18CD", code_pattern=r"^E54\d{6}$", crs=27700,
    ),
    Dataset(
        id="england_stp20",
        description="England STP boundaries, April 2020 (ultra generalised)",
        publisher="ONS Open Geography Portal", licence=OGL, year=2020,
        homepage="https://geoportal.statistics.gov.uk/search?q=Sustainability%20and%20Transformation%20Partnerships%20April%202020",
        path="nhs/boundaries/england_stp20_geographr.gpkg", layer="stp20", records=42,
        code_column="stp_code", code_pattern=r"^E54\d{6}$", crs=4326,
    ),
    Dataset(
        id="lsoa_ccg_stp_lookup",
        description="LSOA (2011) to CCG to STP (April 2018) to LAD lookup in England, version 3",
        publisher="ONS Open Geography Portal", licence=OGL, year=2018,
        homepage="https://data.gov.uk/dataset/aef5940e-d94b-4b20-b93e-d9cf60d2dfb9/lsoa-2011-to-clinical-commissioning-groups-to-sustainability-and-transformation-partnerships-april-2018-lookup-in-england-version-3",
        path="nhs/lookups/lsoa11_ccg18_stp18_lad18_en_v3.csv", kind="csv", records=32844,
        code_column="LSOA11CD", code_pattern=r"^E01\d{6}$",
    ),
    Dataset(
        id="ccg_stp_lookup",
        description="CCG to STP lookup (April 2018), England",
        publisher="ONS Open Geography Portal", licence=OGL, year=2018,
        homepage="https://data.gov.uk/dataset/ec1b6948-3c42-4abe-bfc0-8728f0911c0e/clinical-commissioning-group-to-stps-april-2018-lookup-in-england-version-2",
        path="nhs/lookups/ccg18_stp18_en.csv", kind="csv", records=195,
        code_column="CCG18CD", code_pattern=r"^E38\d{6}$",
    ),
    Dataset(
        id="ccg_pop_mid2018",
        description="CCG mid-2018 population estimates, persons by single year of age (SAPE21DT6b)",
        publisher="ONS", licence=OGL, year=2018,
        homepage="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/datasets/clinicalcommissioninggroupmidyearpopulationestimates",
        path="nhs/population/ccg18_pop_mid2018_persons_syoa_en.csv", kind="csv", records=195,
        code_column="CCG18CD", code_pattern=r"^E38\d{6}$",
    ),
    Dataset(
        id="london_lsoa_pop_syoa_2017",
        description="London LSOA mid-2017 population by single year of age (SAPE20DT1)",
        publisher="ONS", licence=OGL, year=2017,
        homepage="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates",
        path="london/london_lsoa11_pop_mid2017_syoa.csv", kind="csv", records=4835,
        code_column="LSOA11CD", code_pattern=r"^E01\d{6}$",
    ),
    Dataset(
        id="imd2019",
        description="English Indices of Deprivation 2019: IMD rank and decile of every LSOA 2011 (File 1)",
        publisher="MHCLG (Ministry of Housing, Communities and Local Government)", licence=OGL, year=2019,
        homepage="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
        path="deprivation/imd2019_lsoa11_en.csv", kind="csv", records=32844,
        code_column="lsoa11_code", code_pattern=r"^E01\d{6}$",
        attribution=IMD_ATTRIBUTION,
    ),
    Dataset(
        id="trust_flows_2018",
        description="NHS acute trust catchments: share of each MSOA's admitted patients by trust, catchment year 2018",
        publisher="PHE / OHID (NHS Acute (Hospital) Trust Catchment Populations)", licence=OGL, year=2018,
        homepage="https://www.gov.uk/government/publications/nhs-acute-hospital-trust-catchment-populations",
        path="nhs/flows/phe_trust_msoa_proportions_catchment2018_successor_updated.csv", kind="csv",
        records=59660, code_column="msoa_code", code_pattern=r"^E02\d{6}$", unique_codes=False,
        attribution=PHE_ATTRIBUTION,
    ),
    Dataset(
        id="trust_flows_2019",
        description="NHS acute trust catchments: share of each MSOA's admitted patients by trust, catchment year 2019",
        publisher="PHE / OHID (NHS Acute (Hospital) Trust Catchment Populations)", licence=OGL, year=2019,
        homepage="https://www.gov.uk/government/publications/nhs-acute-hospital-trust-catchment-populations",
        path="nhs/flows/phe_trust_msoa_proportions_catchment2019_successor_updated.csv", kind="csv",
        records=60187, code_column="msoa_code", code_pattern=r"^E02\d{6}$", unique_codes=False,
        attribution=PHE_ATTRIBUTION,
    ),
    Dataset(
        id="trust_points",
        description="NHS trust headquarters locations (ODS postcodes, geocoded), March 2021",
        publisher="NHS Digital (ODS)", licence=OGL, year=2021,
        homepage="https://digital.nhs.uk/services/organisation-data-service/export-data-files/csv-downloads/other-nhs-organisations",
        path="nhs/trusts/nhs_trusts_points_geographr_2021-03.csv", kind="csv", records=228,
        code_column="nhs_trust_code", code_pattern=r"^[A-Z0-9]{3,5}$", attribution=PHE_ATTRIBUTION,
    ),
    Dataset(
        id="england_lsoa",
        description="England LSOA 2011 boundaries (super generalised)",
        publisher="ONS Open Geography Portal", licence=OGL, year=2011,
        homepage="https://geoportal.statistics.gov.uk/search?q=LSOA%202011%20super%20generalised",
        path="england/england_lsoa11_bsc.gpkg", layer="lsoa11", records=32844,
        code_column="LSOA11CD", code_pattern=r"^E01\d{6}$", crs=27700,
    ),
    Dataset(
        id="england_msoa",
        description="England MSOA 2011 boundaries (super generalised)",
        publisher="ONS Open Geography Portal", licence=OGL, year=2011,
        homepage="https://geoportal.statistics.gov.uk/search?q=MSOA%202011%20super%20generalised",
        path="england/england_msoa11_bsc.gpkg", layer="msoa11", records=6791,
        code_column="MSOA11CD", code_pattern=r"^E02\d{6}$", crs=27700,
    ),
    Dataset(
        id="england_lad19",
        description="England local authority districts, December 2019 (super generalised)",
        publisher="ONS Open Geography Portal", licence=OGL, year=2019,
        homepage="https://geoportal.statistics.gov.uk/search?q=Local%20Authority%20Districts%20December%202019",
        path="england/england_lad19_bsc.gpkg", layer="lad19", records=317,
        code_column="LAD19CD", code_pattern=r"^E0[6-9]\d{6}$", crs=27700,
    ),
    Dataset(
        id="lsoa_msoa_lookup",
        description="LSOA 2011 to MSOA 2011 lookup, England and Wales",
        publisher="ONS Open Geography Portal", licence=OGL, year=2011,
        homepage="https://geoportal.statistics.gov.uk/search?q=LSOA%202011%20to%20MSOA%202011%20lookup",
        path="england/lsoa11_msoa11_lookup_ew.csv", kind="csv", records=34753,
        code_column="LSOA11CD", code_pattern=r"^[EW]01\d{6}$",
    ),
    Dataset(
        id="lsoa_ward_lookup",
        description="LSOA 2011 to electoral ward (2017) best-fit lookup, England and Wales (codes only)",
        publisher="ONS Open Geography Portal", licence=OGL, year=2017,
        homepage="https://geoportal.statistics.gov.uk/search?q=Lower%20Layer%20Super%20Output%20Area%20(2011)%20to%20Ward%20(2017)%20Lookup",
        path="england/lsoa11_ward17_lookup_ew.csv", kind="csv", records=34753,
        code_column="LSOA11CD", code_pattern=r"^[EW]01\d{6}$",
    ),
    Dataset(
        id="london_ward_names",
        description="London wards (2014 codes) with names and boroughs, City of London merged (attribute table only)",
        publisher="GLA London Datastore (Statistical GIS Boundary Files for London)", licence=OGL, year=2014,
        homepage="https://data.london.gov.uk/dataset/statistical-gis-boundary-files-london",
        path="london/raw/duccioa_LondonGentrification_GLA_dbf/London_Ward_CityMerged.dbf", kind="table",
        records=625, code_column="GSS_CODE", code_pattern=r"^E0[59]\d{6}$",  # the merged City: E09000001
    ),
    Dataset(
        id="lsoa_pop_mid2017",
        description="LSOA mid-2017 population estimates, persons, England and Wales (SAPE20DT1)",
        publisher="ONS", licence=OGL, year=2017,
        homepage="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates",
        path="england/lsoa11_pop_mid2017_ew.csv", kind="csv", records=34753,
        code_column="LSOA11CD", code_pattern=r"^[EW]01\d{6}$",
    ),
]

# --- today's geography (LSOA 2021, ICBs 2024): a separate block, see registry_2024.py -----------------
from .registry_2024 import DATASETS_2024 as _DATASETS_2024  # noqa: E402  (needs Dataset above)

_DATASETS += _DATASETS_2024

#: Every dataset, by id (read-only).
REGISTRY: Mapping[str, Dataset] = MappingProxyType({d.id: d for d in _DATASETS})


@dataclass(frozen=True)
class Join:
    """Attributes joined onto the units from another dataset.

    Parameters
    ----------
    dataset : str
        Registry id of the table to join.
    on : str
        Column of that table holding the join key.
    columns : mapping
        Source column -> standard column name.
    key : str
        Unit column matched against ``on`` (default the unit code; e.g.
        ``"ward"`` to join ward names onto the units' ward codes).
    required : bool
        Every unit must find a row (default).  When False, unmatched units get
        a missing value; for a ``<layer>_name`` column the build then names
        those areas by code and borough and notes how many.
    """

    dataset: str
    on: str
    columns: Mapping[str, str]
    key: str = "code"
    required: bool = True


@dataclass(frozen=True)
class Published:
    """A published boundary layer kept beside the layer dissolved from units."""

    dataset: str
    code: str
    name: str


@dataclass(frozen=True)
class Region:
    """How to build the units and layers of one region from registry datasets.

    Parameters
    ----------
    name : str
        Region name (``"london"``, ``"england"``).
    units : str
        Registry id of the unit geometry.
    unit_columns : mapping
        Columns of the unit dataset -> standard names.
    joins : tuple of Join
        Further attributes joined by unit code.
    code_prefix : str
        Units kept are those whose borough code starts with this prefix.
    expected : mapping
        Expected record count per layer after building.
    published : mapping
        Layer name -> :class:`Published` boundary.
    flows : mapping
        Catchment year -> registry id of the trust flow table.
    profile : mapping
        Who lives in the units (:mod:`boundaries.attributes`): ``"age"`` -> registry
        id of a single-year-of-age table, ``"imd"`` -> registry id of the IMD table.
        For 2021 units the IMD (on 2011 LSOAs) is carried through ``"imd_lookup"``
        (the LSOA 2011 -> 2021 lookup), merges weighted by ``"imd_weights"`` (2011 LSOA residents).
        A region without an entry has no such columns, and the profile says so.
    extent : tuple of float, optional
        ``(xmin, ymin, xmax, ymax)`` in EPSG:27700 metres that every feature of
        every layer must lie in: the bounds of the region's published
        boundaries (measured with ``pyogrio.read_info``) plus about 5 km.
    geography : {"2018", "2024"}
        The boundary vintage of the units (LSOA 2011 with the April 2018 NHS
        geography, or LSOA 2021 with the April 2024 one).
    """

    name: str
    units: str
    unit_columns: Mapping[str, str]
    joins: tuple[Join, ...]
    code_prefix: str
    expected: Mapping[str, int]
    published: Mapping[str, Published] = field(default_factory=dict)
    flows: Mapping[int, str] = field(default_factory=dict)
    profile: Mapping[str, str] = field(default_factory=dict)
    extent: tuple[float, float, float, float] | None = None
    geography: str = "2018"

    def datasets(self) -> list[str]:
        """Registry ids this region reads."""
        ids = [self.units, *(j.dataset for j in self.joins), *self.profile.values()]
        ids += [p.dataset for p in self.published.values()]
        ids += list(self.flows.values())
        return list(dict.fromkeys(ids))


_NHS_JOIN = Join(
    "lsoa_ccg_stp_lookup",
    on="LSOA11CD",
    columns={"CCG18CD": "ccg", "CCG18NM": "ccg_name", "STP18CD": "stp", "STP18NM": "stp_name", "LAD18CD": "lad18"},
)
_WARD_JOIN = Join("lsoa_ward_lookup", on="LSOA11CD", columns={"WD17CD": "ward"})
#: London ward names (GLA, 2014 codes); wards without one are named by code and borough.
_WARD_NAMES = Join("london_ward_names", on="GSS_CODE", key="ward", columns={"NAME": "ward_name"}, required=False)
_FLOWS = {2018: "trust_flows_2018", 2019: "trust_flows_2019"}

_REGIONS = [
    Region(
        name="london",
        units="london_lsoa",
        unit_columns={
            "LSOA11CD": "code", "LSOA11NM": "name", "MSOA11CD": "msoa", "MSOA11NM": "msoa_name",
            "LAD11CD": "borough", "LAD11NM": "borough_name",
            "pop_census2011": "pop_2011", "pop_mid2017": "pop_2017",
            "pop_mid2019": "pop_2019", "pop_mid2020": "pop_2020",
        },
        joins=(
            _NHS_JOIN,
            _WARD_JOIN,
            _WARD_NAMES,
        ),
        code_prefix="E09",
        expected={"units": 4835, "msoa": 983, "ward": 634, "borough": 33, "ccg": 32, "stp": 5},
        published={
            "msoa": Published("london_msoa", "MSOA11CD", "MSOA11NM"),
            "borough": Published("london_borough_gla", "GSS_CODE", "NAME"),
            "ccg": Published("london_ccg18", "CCG18CD", "CCG18NM"),
            "stp": Published("london_stp18", "STP18CD", "STP18NM"),
        },
        flows=_FLOWS,
        profile={"age": "london_lsoa_pop_syoa_2017", "imd": "imd2019"},
        # GLA boroughs: x 503,568-561,957, y 155,850-200,934 m
        extent=(498_000.0, 150_000.0, 568_000.0, 206_000.0),
    ),
    Region(
        name="england",
        units="england_lsoa",
        unit_columns={"LSOA11CD": "code", "LSOA11NM": "name"},
        joins=(
            Join("lsoa_msoa_lookup", on="LSOA11CD", columns={"MSOA11CD": "msoa", "MSOA11NM": "msoa_name"}),
            Join(
                "lsoa_ccg_stp_lookup", on="LSOA11CD",
                columns={"CCG18CD": "ccg", "CCG18NM": "ccg_name", "STP18CD": "stp", "STP18NM": "stp_name",
                         "LAD18CD": "borough", "LAD18NM": "borough_name"},
            ),
            Join("lsoa_pop_mid2017", on="LSOA11CD", columns={"pop_mid2017": "pop_2017"}),
            _WARD_JOIN,
            _WARD_NAMES,
            Join("ccg18_nhser18_lookup", on="CCG18CD", key="ccg",
                 columns={"NHSER18CDH": "nhs_region", "NHSER18NM": "nhs_region_name"}),
        ),
        code_prefix="E",
        expected={"units": 32844, "msoa": 6791, "borough": 326, "ccg": 195, "stp": 42},
        published={"msoa": Published("england_msoa", "MSOA11CD", "MSOA11NM")},
        flows=_FLOWS,
        profile={"imd": "imd2019"},  # no single-year-of-age table for all England in the mirror
        # England LSOAs: x 85,676-655,606, y 7,054-657,534 m (Scilly to Berwick)
        extent=(80_000.0, 0.0, 661_000.0, 663_000.0),
    ),
]

from .registry_2024 import regions_2024 as _regions_2024  # noqa: E402

_REGIONS += _regions_2024()

#: Every region, by name (read-only).
REGIONS: Mapping[str, Region] = MappingProxyType({r.name: r for r in _REGIONS})


def _closest(name: str, choices) -> str:
    import difflib

    near = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.5)
    return f" Did you mean: {', '.join(near)}?" if near else ""


def get_dataset(dataset_id: str) -> Dataset:
    """Return the registry entry ``dataset_id``.

    Raises
    ------
    KeyError
        With the known ids and the closest match.
    """
    try:
        return REGISTRY[dataset_id]
    except KeyError:
        raise KeyError(
            f"unknown dataset {dataset_id!r}.{_closest(dataset_id, REGISTRY)} "
            f"Known: {', '.join(REGISTRY)}"
        ) from None


def get_region(name: str) -> Region:
    """Return the region ``name`` (``"london"`` or ``"england"``)."""
    try:
        return REGIONS[name]
    except KeyError:
        raise KeyError(f"unknown region {name!r}.{_closest(name, REGIONS)} Known: {', '.join(REGIONS)}") from None
