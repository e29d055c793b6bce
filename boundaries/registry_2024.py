"""Registry entries for today's geography (2021 small areas, 2022-2025 NHS geography).

Kept apart from :mod:`boundaries.registry` so the 2018 entries stay as they
were; ``registry.py`` appends :data:`DATASETS_2024` to its list and
:data:`REGIONS_2024` to its regions.  Every ``path`` is the file's place in the
data mirror (``../shared/data``), which is also its key in ``CHECKSUMS.tsv``.

Codes that changed between July 2022 and April 2024 (SOURCES.md, nhs/):
Surrey Heartlands E54000052 -> E54000063 and Sussex E54000053 -> E54000064
(with their sub-ICB locations E38000246 -> E38000264, E38000248 -> E38000265),
after four Chichester LSOAs moved.  Tables keyed by July 2022 E-codes are
therefore joined on the **NHS codes** (QXU, QNX, 92A, 70F), which did not change.
"""

from __future__ import annotations

from .registry import OGL, PHE_ATTRIBUTION, Dataset

__all__ = ["DATASETS_2024", "regions_2024", "AGE_BANDS", "ICB_CODE_CHANGES_2022_2024"]

#: Publisher search pages, kept as documentation (``homepage``); downloads use the pins.
_HOMEPAGE_GEOPORTAL_SEARCH = "https://geoportal.statistics.gov.uk/search?q="
_NHSE = "NHS England"
_NHS_ATTRIBUTION = ("Contains public sector information from NHS England (Patients Registered at a GP Practice; "
                    "ICB allocation tool), licensed under the Open Government Licence v3.0.")

#: July 2022 -> April 2024 E-code changes (the NHS codes stayed the same).
ICB_CODE_CHANGES_2022_2024 = {
    "E54000052": "E54000063",  # Surrey Heartlands (QXU)
    "E54000053": "E54000064",  # Sussex (QNX)
    "E38000246": "E38000264",  # 92A
    "E38000248": "E38000265",  # 70F
}

DATASETS_2024 = [
    Dataset(
        id="ccg18_nhser18_lookup",
        description="CCG (April 2018) to NHS England region local office to NHS England region",
        publisher="ONS Open Geography Portal", licence=OGL, year=2018,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "Clinical%20Commissioning%20Group%20to%20NHS%20England%20Region%20(April%202018)",
        path="nhs/lookups/ccg18_nhsrlo18_nhser18_en.csv", kind="csv", records=195,
        code_column="CCG18CD", code_pattern=r"^E38\d{6}$",
    ),
    Dataset(
        id="england_lsoa21",
        description="England LSOA 2021 boundaries (super generalised clipped)",
        publisher="ONS Open Geography Portal", licence=OGL, year=2021,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "LSOA%20December%202021%20BSC",
        path="england21/lsoa21_boundaries_bsc.gpkg", layer="lsoa21", records=33755,
        code_column="lsoa21_code", code_pattern=r"^E01\d{6}$", crs=27700,
    ),
    Dataset(
        id="lsoa21_pop_census2021",
        description="Census 2021 usual residents by LSOA 2021 in six age bands, England and Wales",
        publisher="ONS (Census 2021)", licence=OGL, year=2021,
        homepage="https://www.ons.gov.uk/datasets/create",
        path="england21/lsoa21_pop_census2021.csv", kind="csv", records=35672,
        code_column="lsoa21_code", code_pattern=r"^[EW]01\d{6}$",
    ),
    Dataset(
        id="lsoa11_lsoa21_lookup",
        description="LSOA 2011 to LSOA 2021 to LAD 2022 lookup with change codes (U/S/M/X), England and Wales",
        publisher="ONS Open Geography Portal", licence=OGL, year=2021,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "LSOA%20(2011)%20to%20LSOA%20(2021)%20to%20Local%20Authority%20District%20(2022)",
        path="england21/lsoa11_lsoa21_ltla22_lookup.csv", kind="csv", records=35795,
        code_column="lsoa21_code", code_pattern=r"^[EW]01\d{6}$", unique_codes=False,
    ),
    Dataset(
        id="lsoa21_sicbl24_icb24_lookup",
        description="LSOA 2021 to sub-ICB location to ICB (April 2024) lookup, with LAD 2022 and LAD 2024",
        publisher="ONS Open Geography Portal", licence=OGL, year=2024,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "LSOA21_SICBL24_ICB24_CAL24_LAD24_EN_LU",
        path="nhs/lookups/lsoa21_sicbl24_icb24_en.csv", kind="csv", records=33755,
        code_column="lsoa21_code", code_pattern=r"^E01\d{6}$",
    ),
    Dataset(
        id="lsoa11_sicbl22_icb22_lookup",
        description="LSOA 2011 to sub-ICB location to ICB to LAD (July 2022) lookup",
        publisher="ONS Open Geography Portal", licence=OGL, year=2022,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "LSOA%20(2011)%20to%20Sub%20ICB%20Locations%20to%20Integrated%20Care%20Boards%20(July%202022)",
        path="nhs/lookups/lsoa11_sicbl22_icb22_ltla22_en.csv", kind="csv", records=32844,
        code_column="lsoa11_code", code_pattern=r"^E01\d{6}$",
    ),
    Dataset(
        id="lsoa21_ward24_lookup",
        description="LSOA 2021 to electoral ward 2024 to LAD 2024 best-fit lookup, England and Wales",
        publisher="ONS Open Geography Portal", licence=OGL, year=2024,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "LSOA%20(2021)%20to%20Electoral%20Ward%20(2024)%20to%20LAD%20(2024)%20Best%20Fit",
        path="local_authorities/lsoa21_ward24_ltla24_lookup.csv", kind="csv", records=35672,
        code_column="lsoa21_code", code_pattern=r"^[EW]01\d{6}$",
    ),
    Dataset(
        id="ltla22_ltla23_lookup",
        description="LTLA 2022 to LTLA 2023 (the April 2023 unitaries), UK",
        publisher="ONS Open Geography Portal", licence=OGL, year=2023,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "LTLA%202022%20to%20LTLA%202023",
        path="local_authorities/ltla22_ltla23_lookup.csv", kind="csv", records=374,
        code_column="ltla22_code", code_pattern=r"^[EWSN]\d{8}$",
    ),
    Dataset(
        id="ltla23_utla23_lookup",
        description="Lower tier (LTLA 2023) to upper tier local authority (UTLA 2023), England and Wales",
        publisher="ONS Open Geography Portal", licence=OGL, year=2023,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "Lower%20Tier%20Local%20Authority%20to%20Upper%20Tier%20Local%20Authority%20(2023)",
        path="local_authorities/ltla23_utla23_lookup.csv", kind="csv", records=318,
        code_column="ltla23_code", code_pattern=r"^[EW]0\d{7}$",
    ),
    Dataset(
        id="ltla24_region24_lookup",
        description="LTLA 2024 to English region 2024",
        publisher="ONS Open Geography Portal", licence=OGL, year=2024,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "Local%20Authority%20District%20to%20Region%20(2024)",
        path="local_authorities/ltla24_region24_lookup.csv", kind="csv", records=296,
        code_column="ltla24_code", code_pattern=r"^E0[6-9]\d{6}$",
    ),
    Dataset(
        id="msoa11_msoa21_lookup",
        description="MSOA 2011 to MSOA 2021 to LTLA 2022 lookup, England and Wales",
        publisher="ONS Open Geography Portal", licence=OGL, year=2021,
        homepage=_HOMEPAGE_GEOPORTAL_SEARCH + "MSOA%20(2011)%20to%20MSOA%20(2021)",
        path="local_authorities/msoa11_msoa21_ltla22_lookup.csv", kind="csv", records=7201,
        code_column="msoa11_code", code_pattern=r"^[EW]02\d{6}$", unique_codes=False,
    ),
    Dataset(
        id="gp_practice_pcn_2025",
        description="GP practice to primary care network, sub-ICB, ICB and NHS region (October 2025)",
        publisher=_NHSE + " (Patients Registered at a GP Practice: practice mapping file)", licence=OGL, year=2025,
        homepage="https://digital.nhs.uk/data-and-information/publications/statistical/patients-registered-at-a-gp-practice",
        path="nhs/primary_care/gp_practice_pcn_2025-10.csv", kind="csv", records=6202,
        code_column="PRACTICE_CODE", code_pattern=r"^[A-Z]\d{5}$", attribution=_NHS_ATTRIBUTION,
    ),
    Dataset(
        id="gp_practice_population_2025",
        description="GP practice locations and registered populations, 2025/26 (ICB allocation tool)",
        publisher=_NHSE + " (ICB place-based allocation tool)", licence=OGL, year=2025,
        homepage="https://github.com/nhsengland/ICB_Allocation_Tool_update",
        path="nhs/primary_care/gp_practice_population_2025-26.csv", kind="csv", records=6348,
        code_column="Practice_Code", code_pattern=r"^[A-Z]\d{5}$", attribution=_NHS_ATTRIBUTION,
    ),
    Dataset(
        id="hospital_sites_2022",
        description="NHS hospital sites, July 2022 (name and point; no trust code)",
        publisher="NHS (nhs.uk service directory; geocoded by the geographr authors)", licence=OGL, year=2022,
        homepage="https://github.com/humaniverse/geographr",
        path="nhs/trusts/hospital_sites_2022.csv", kind="csv", records=1061,
        code_column="hospital22_name", code_pattern=r"^.+$", unique_codes=False, attribution=PHE_ATTRIBUTION,
    ),
    Dataset(
        id="trust_points_2022",
        description="NHS trust headquarters locations (ODS etr.csv, April 2022, geocoded)",
        publisher="NHS Digital (ODS)", licence=OGL, year=2022,
        homepage="https://digital.nhs.uk/services/organisation-data-service/export-data-files/csv-downloads/other-nhs-organisations",
        path="nhs/trusts/nhs_trusts_points_2022.csv", kind="csv", records=218,
        code_column="nhs_trust22_code", code_pattern=r"^[A-Z0-9]{3,5}$", attribution=PHE_ATTRIBUTION,
    ),
    Dataset(
        id="trust_icb22_shares",
        description="OHID 2022 trust catchments: share of each trust's patients from each ICB (July 2022 codes)",
        publisher="OHID (NHS Acute (Hospital) Trust Catchment Populations, 2022)", licence=OGL, year=2022,
        homepage="https://www.gov.uk/government/publications/nhs-acute-hospital-trust-catchment-populations",
        path="nhs/flows/trust22_icb22_shares.csv", kind="csv", records=1321,
        code_column="icb22_code", code_pattern=r"^E54\d{6}$", unique_codes=False, attribution=PHE_ATTRIBUTION,
    ),
    Dataset(
        id="trust_ltla21_shares",
        description="OHID 2022 trust catchments: share of each trust's patients from each LAD 2021",
        publisher="OHID (NHS Acute (Hospital) Trust Catchment Populations, 2022)", licence=OGL, year=2022,
        homepage="https://www.gov.uk/government/publications/nhs-acute-hospital-trust-catchment-populations",
        path="nhs/flows/trust22_ltla21_shares.csv", kind="csv", records=5670,
        code_column="ltla21_code", code_pattern=r"^E0[6-9]\d{6}$", unique_codes=False, attribution=PHE_ATTRIBUTION,
    ),
]

#: Census 2021 age bands kept on every 2024 unit (and summed into every layer).
AGE_BANDS = ("age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus")

def regions_2024() -> list:
    """The 2024 region definitions (built on call: ``registry.py`` defines :class:`Region` after the datasets)."""
    from .registry import Join, Region

    # The 2024 units re-use the engine's layer slots: ``borough`` is the *place* (LAD 2024, from the exact
    # LAD 2022 of each LSOA through the 2023 reorganisations), ``ccg`` the sub-ICB location, ``stp`` the ICB,
    # ``ward`` the 2024 ward (best fit), ``utla`` the upper-tier council, ``nhs_region`` the NHS commissioning
    # region.  Labels per geography live in spatial.geography.
    region = Region(
        name="england-2024",
        geography="2024",
        units="england_lsoa21",
        unit_columns={"lsoa21_code": "code", "lsoa21_name": "name"},
        joins=(
            Join("lsoa21_pop_census2021", on="lsoa21_code",
                 columns={"usual_residents_all": "pop_2021", **{b: b for b in AGE_BANDS}}),
            Join("lsoa21_sicbl24_icb24_lookup", on="lsoa21_code",
                 columns={"sicbl24_code": "ccg", "sicbl24_name": "ccg_name", "sicbl24_code_nhs": "ccg_nhs",
                          "icb24_code": "stp", "icb24_name": "stp_name", "icb24_code_nhs": "stp_nhs",
                          "ltla22_code": "lad22", "ltla24_code": "lad24_bestfit"}),
            # the place: LAD 2022 (exact for LSOA 2021) carried to LAD 2023 = LAD 2024
            Join("ltla22_ltla23_lookup", on="ltla22_code", key="lad22",
                 columns={"ltla23_code": "borough", "ltla23_name": "borough_name"}),
            Join("ltla23_utla23_lookup", on="ltla23_code", key="borough",
                 columns={"utla23_code": "utla", "utla23_name": "utla_name"}),
            Join("ltla24_region24_lookup", on="ltla24_code", key="borough",
                 columns={"region24_code": "region", "region24_name": "region_name"}),
            Join("lsoa21_ward24_lookup", on="lsoa21_code", columns={"ward24_code": "ward", "ward24_name": "ward_name"}),
            # NHS commissioning region of each ICB (NHS code), from the practice mapping file
            Join("gp_practice_pcn_2025", on="ICB_CODE", key="stp_nhs",
                 columns={"COMM_REGION_CODE": "nhs_region", "COMM_REGION_NAME": "nhs_region_name"}),
            # LSOA 2011 parent (first in code order) and its MSOA 2011: how 2011-based flows reach the unit
            Join("lsoa11_lsoa21_lookup", on="lsoa21_code",
                 columns={"lsoa11_code": "lsoa11", "change_code": "change_code"}),
            Join("lsoa_msoa_lookup", on="LSOA11CD", key="lsoa11", columns={"MSOA11CD": "msoa11"}),
        ),
        code_prefix="E",
        expected={"units": 33755, "ward": 6784, "borough": 296, "utla": 153, "ccg": 106, "stp": 42, "nhs_region": 7},
        # No published layers: the mirror's ICB/sub-ICB 2024 GeoPackage is itself dissolved from these LSOAs
        # (nhs/SOURCES.md) and has no single pinned source to fetch, so the dissolved layers are the layers.
        flows={2019: "trust_flows_2019", 2018: "trust_flows_2018"},
        # IMD 2019 is on 2011 LSOAs: carried to 2021 LSOAs through the ONS lookup (a split keeps the parent's
        # rank and decile, a merge takes the mean rank weighted by the parents' mid-2017 residents);
        # boundaries.attributes.carry_imd_to_lsoa21.  Ages: the six Census 2021 bands (65+, no 75+).
        profile={"imd": "imd2019", "imd_lookup": "lsoa11_lsoa21_lookup", "imd_weights": "lsoa_pop_mid2017"},
    )

    return [region]
