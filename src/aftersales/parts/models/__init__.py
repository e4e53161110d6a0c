from aftersales.parts.models.imports import StockImportJob
from aftersales.parts.models.parts import (
    TAX_RATES,
    Part,
    PartFitment,
    PartPrice,
    PriceFile,
    Supersession,
    part_number_normalise,
)
from aftersales.parts.models.stock import (
    Bin,
    Reservation,
    StockBalance,
    StockClosing,
    StockMove,
    StockSnapshot,
    Warehouse,
)
from aftersales.parts.models.stocktake import Stocktake, StocktakeLine

__all__ = [
    "TAX_RATES",
    "Bin",
    "Part",
    "PartFitment",
    "PartPrice",
    "PriceFile",
    "Reservation",
    "StockBalance",
    "StockClosing",
    "StockImportJob",
    "StockMove",
    "StockSnapshot",
    "Stocktake",
    "StocktakeLine",
    "Supersession",
    "Warehouse",
    "part_number_normalise",
]
