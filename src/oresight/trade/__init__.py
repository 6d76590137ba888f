"""The trade pillar: trade-flow intelligence from UN Comtrade and CEPII BACI statistics."""
